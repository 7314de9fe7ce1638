"""The models of the course, each readable in one screen."""

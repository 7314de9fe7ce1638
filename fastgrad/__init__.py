"""fastgrad"""

"""Neural-network building blocks with PyTorch names."""
from fastgrad.nn import functional

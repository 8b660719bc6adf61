"""Tools: gradient checking, model summaries."""
from .gradcheck import gradcheck, numerical_grad
from .summary import summary

__all__ = ["gradcheck", "numerical_grad", "summary"]

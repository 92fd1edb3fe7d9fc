"""Views: widgets that render state and emit intent (no training maths here)."""

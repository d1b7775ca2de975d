"""The Lab tab: the learning-rate finder, the loss landscape, and the sharpness plot."""

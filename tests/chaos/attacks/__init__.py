"""Part ``attacks``: the attack catalogue of issue 9, run as the restricted roles."""

"""Layer 2, model: the physics and arithmetic — cost per token (cost), decoding modes (modes), curves and their
interpolation (interpolation, frontier), fleet sizing (capacity), the calibrated estimator (estimator/) and what a curve
is called (naming). Imports only calculator.data."""

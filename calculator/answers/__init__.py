"""Layer 3, answers: the questions users ask, each one pipeline over the model — what can be checked (checks), one GPU's
scenario (scenario), the Compare view (compare, gpu_compare) and a capacity plan (planning). Imports data and model."""

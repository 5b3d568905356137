"""The measurement tool: `python -m measurements forward|serve|tpf|roofline`.

Records forward-pass cost surfaces (torch), serving sweeps (SGLang) and tokens per forward (real
weights) into files that validate against calculator/data/schema.py, so the app picks them up.
"""

from measurements.model_config import ArchConfig, load_arch_config

__all__ = ["ArchConfig", "load_arch_config"]

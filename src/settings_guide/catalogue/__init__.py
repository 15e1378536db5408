"""The model catalogue: one YAML file per model a reader may use (``models/<key>.yml``), validated like the
setting files, and the links between it and the settings (recommendation rows, figure profiles)."""

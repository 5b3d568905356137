"""Layer 4, presentation: what users read — table headers and formats (labels), Plotly figures (charts), exported
files (export) and a scenario as a link writes it (links). Imports data, model and answers; nothing imports it but
the CLI and the app."""

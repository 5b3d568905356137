"""Layer 1, data: the file formats (schema), safe reading of untrusted bytes (loader, yaml_reader, errors), the
bundled catalog and users' files (catalog, uploads, importers/), edited price offers (offers), and the vocabulary every
layer writes with (vocabulary). Imports nothing else of calculator/."""

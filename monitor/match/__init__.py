"""Pure matching: text normalisation, term and rule compilation, the matcher, signals, snippets."""

"""Qt-free editing of a design: config edits, fitting a design to its data, and help texts."""

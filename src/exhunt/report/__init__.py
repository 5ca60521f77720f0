"""Writers that turn a HuntResult into what a person or another tool reads."""

"""Use cases. Each takes a SQLAlchemy session, does the whole job and commits
once; none touches the request, so the CLI and the tests call them too."""

"""The `gradwork` command line (`gradwork.cli.main:main`)."""

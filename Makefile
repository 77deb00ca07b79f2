# Thin wrapper over ./dev, which bootstraps the virtualenv and services on a fresh machine.
.PHONY: setup demo test lint bench
setup demo test lint bench:
	./dev $@

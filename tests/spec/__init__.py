"""Tests of demandos.spec (a package, so test module names never clash with other packages')."""

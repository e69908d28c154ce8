"""The parts of the reference model: text processing, relevance, argument filling, answers.

`reference.py` (one level up) puts them together behind the `Model` contract; this package has no
public surface of its own beyond what that module and the tests use.
"""

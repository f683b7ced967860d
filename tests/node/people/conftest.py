from tests.node.people.support import family

__all__ = ["family"]

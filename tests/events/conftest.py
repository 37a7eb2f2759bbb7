from tests.webhooks.conftest import allow_private_urls

__all__ = ["allow_private_urls"]

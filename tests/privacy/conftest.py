# The erasure tests deliver real webhooks (to loopback receivers), as the webhook tests do.
from tests.webhooks.conftest import allow_private_urls, run_worker_once

__all__ = ["allow_private_urls", "run_worker_once"]

"""The demo practice's eight clients, one module per kind of search."""

from app.demo.caseload.gone_cold import SVEN
from app.demo.caseload.newcomer import HIROSHI
from app.demo.caseload.offer import LUCIA
from app.demo.caseload.ordinary import AMARA, ELIF, NADIA
from app.demo.caseload.stalled import JONAS
from app.demo.caseload.thriving import MAYA
from app.demo.story import DemoClient

CLIENTS: tuple[DemoClient, ...] = (MAYA, JONAS, LUCIA, ELIF, SVEN, HIROSHI, AMARA, NADIA)

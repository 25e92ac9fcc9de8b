"""The registry of scanners, in the order their findings win a tie when merged."""

from shipline.scan.bandit import Bandit
from shipline.scan.semgrep import Semgrep
from shipline.scan.tool import Scanner

SCANNERS: dict[str, Scanner] = {"semgrep": Semgrep(), "bandit": Bandit()}

"""A PEP 517 build backend that needs nothing installed, so `python -m build` runs offline in tests."""

import io
import tarfile
import tomllib
import zipfile

with open("pyproject.toml", "rb") as f:
    _PROJECT = tomllib.load(f)["project"]
NAME, VERSION = _PROJECT["name"], _PROJECT["version"]
METADATA = f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"


def build_sdist(sdist_directory, config_settings=None):
    name = f"{NAME}-{VERSION}.tar.gz"
    with tarfile.open(f"{sdist_directory}/{name}", "w:gz") as tar:
        for file in ("PKG-INFO", "pyproject.toml", "tinybackend.py"):
            data = METADATA.encode() if file == "PKG-INFO" else open(file, "rb").read()
            info = tarfile.TarInfo(f"{NAME}-{VERSION}/{file}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(f"{wheel_directory}/{name}", "w") as whl:
        whl.writestr(f"{NAME}-{VERSION}.dist-info/METADATA", METADATA)
    return name

def status(code: int) -> str:
    return f"HTTP {code}"

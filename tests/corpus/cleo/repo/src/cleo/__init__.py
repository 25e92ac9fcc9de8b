def bold(text: str) -> str:
    return f"<b>{text}</b>"

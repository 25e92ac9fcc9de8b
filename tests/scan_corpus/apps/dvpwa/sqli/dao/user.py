# Reproduces the shape of anxolerd/dvpwa sqli/dao/user.py: passwords checked against
# an unsalted MD5.
from hashlib import md5


class User:
    pwd_hash: str

    def check_password(self, password: str) -> bool:
        return self.pwd_hash == md5(password.encode("utf-8")).hexdigest()  # vuln: dvpwa-weak-hash

# Reproduces the shape of anxolerd/dvpwa sqli/dao/student.py: the view passes the
# posted name (await request.post()) to a DAO that formats it into the INSERT.
from typing import NamedTuple


class Student(NamedTuple):
    id: int
    name: str

    @staticmethod
    async def get(conn, id_: int):
        async with conn.cursor() as cur:
            await cur.execute("SELECT id, name FROM students WHERE id = %s", (id_,))
            return await cur.fetchone()

    @staticmethod
    async def create(conn, name: str):
        q = ("INSERT INTO students (name) "
             "VALUES ('%(name)s')" % {"name": name})
        async with conn.cursor() as cur:
            await cur.execute(q)  # vuln: dvpwa-sqli-student

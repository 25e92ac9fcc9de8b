# Reproduces the shape of anxolerd/dvpwa sqli/views.py: aiohttp handlers reading the
# posted form and the path, passing them to the DAO.
from aiohttp.web import HTTPFound

from sqli.dao.student import Student


async def students(request):
    app = request.app
    if request.method == "POST":
        data = await request.post()
        async with app["db"].acquire() as conn:
            await Student.create(conn, data["name"])
    raise HTTPFound("/students")


async def student(request):
    student_id = int(request.match_info["id"])
    async with request.app["db"].acquire() as conn:
        return await Student.get(conn, student_id)

"""Shape of taskManager/misc.py in NetSPI/django.nV (self-written): ``title`` is the
upload's name as the user typed it (views.newfile)."""

import os


def store_uploaded_file(title, f):
    folder = "%s/static/taskManager/uploads" % os.path.dirname(os.path.realpath(__file__))
    os.makedirs(folder, exist_ok=True)
    with open("%s/%s" % (folder, title), "wb+") as destination:
        for chunk in f.chunks():
            destination.write(chunk)
    return "/static/taskManager/uploads/%s" % title

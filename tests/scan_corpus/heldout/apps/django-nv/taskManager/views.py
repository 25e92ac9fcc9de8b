"""Shape of taskManager/views.py in NetSPI/django.nV (self-written)."""

from django.shortcuts import redirect, render

from taskManager.forms import ProjectFileForm
from taskManager.misc import store_uploaded_file
from taskManager.models import File, Project


def newfile(request, project_id):
    form = ProjectFileForm()
    if request.method == "POST":
        proj = Project.objects.get(pk=project_id)
        form = ProjectFileForm(request.POST, request.FILES)
        if form.is_valid():
            name = request.POST.get("name", False)
            upload_path = store_uploaded_file(name, request.FILES["file"])
            File(name=name, path=upload_path, project=proj).save()
            return redirect("/taskManager/" + project_id + "/")
    return render(request, "taskManager/newfile.html", {"form": form})

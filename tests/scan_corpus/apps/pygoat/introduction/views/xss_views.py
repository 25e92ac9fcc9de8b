# Reproduces the shape of adeyosemanputra/pygoat introduction/views/vulnerabilities/
# xss_views.py: the posted name goes to a template that prints it with |safe.
from django.shortcuts import render


def xss_lab(request):
    if request.method == "POST":
        name = request.POST.get("name", "")
        return render(request, "xss_lab.html", {"name": name})
    return render(request, "xss_lab.html")

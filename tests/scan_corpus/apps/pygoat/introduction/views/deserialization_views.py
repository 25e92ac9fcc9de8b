# Reproduces the shape of adeyosemanputra/pygoat introduction/views/vulnerabilities/
# deserialization_views.py: posted base64 unpickled.
import base64
import pickle

from django.shortcuts import render


def insec_des_lab(request):
    context = {}
    if request.method == "POST":
        data = request.POST.get("data", "")
        if data:
            decoded = base64.b64decode(data)
            user = pickle.loads(decoded)  # vuln: pygoat-pickle-user
            context["result"] = getattr(user, "admin", "N/A")
    return render(request, "insec_des_lab.html", context)


def insec_desgine_lab(request):
    context = {}
    if request.method == "POST":
        data = request.POST.get("data", "")
        if data:
            obj = pickle.loads(base64.b64decode(data))  # vuln: pygoat-pickle-object
            context["result"] = str(obj)[:100]
    return render(request, "insec_desgine_lab.html", context)

# Reproduces the shape of adeyosemanputra/pygoat introduction/views/vulnerabilities/
# ssrf_views.py: posted URLs fetched as they are.
import requests
from django.shortcuts import render


def ssrf_lab(request):
    content = None
    if request.method == "POST":
        url = request.POST.get("url", "")
        if url:
            content = requests.get(url, timeout=5).text  # vuln: pygoat-ssrf-url
    return render(request, "ssrf_lab.html", {"content": content})


def ssrf_lab2(request):
    content = None
    if request.method == "POST":
        image_url = request.POST.get("image_url", "")
        if image_url:
            response = requests.get(image_url, timeout=5)  # vuln: pygoat-ssrf-image
            content = response.headers.get("Content-Type", "")
    return render(request, "ssrf_lab2.html", {"content": content})

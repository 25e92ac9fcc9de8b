# Reproduces the shape of adeyosemanputra/pygoat introduction/views/vulnerabilities/
# a3_views.py (Django): SQL built with f-strings, ping through a shell, a file read and
# eval() on posted values.
import subprocess

from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render


def a3_lab(request):
    context = {}
    if request.method == "POST":
        username = request.POST.get("username", "")
        password = request.POST.get("password", "")
        query = f"SELECT * FROM auth_user WHERE username = '{username}' AND password = '{password}'"
        with connection.cursor() as cursor:
            cursor.execute(query)  # vuln: pygoat-sqli-login
            context["user"] = cursor.fetchone()
    return render(request, "a3_lab.html", context)


def command_injection(request):
    host = request.GET.get("host", "127.0.0.1")
    cmd = f"ping -c 4 {host}"
    result = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, text=True)  # vuln: pygoat-cmdi-ping
    return HttpResponse(result.stdout, content_type="text/plain")


def a3_lab2(request):
    context = {}
    action = request.POST.get("action")
    if action == "search":
        search_term = request.POST.get("search_term", "")
        query = f"""
            SELECT id, username FROM auth_user
            WHERE username LIKE '%{search_term}%'
        """
        with connection.cursor() as cursor:
            cursor.execute(query)  # vuln: pygoat-sqli-search
            context["results"] = cursor.fetchall()
    elif action == "file_read":
        filename = request.POST.get("filename", "")
        with open(filename) as f:  # vuln: pygoat-path-traversal
            context["file_content"] = f.read()
    elif action == "eval":
        expression = request.POST.get("expression", "")
        context["eval_result"] = str(eval(expression, {"__builtins__": None}, {}))  # vuln: pygoat-eval
    return render(request, "a3_lab2.html", context)

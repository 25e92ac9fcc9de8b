"""Shape of health/views.py in payatu/Tiredful-API (self-written): a Django REST
framework view that formats the posted month into raw SQL."""

from django.db import connection
from django.http import JsonResponse
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from health.models import Tracker
from health.serializers import TrackerSerializers


@api_view(["POST"])
def get_activity(request):
    if "month" not in request.data:
        return Response(status=status.HTTP_400_BAD_REQUEST)
    month_requested = request.data["month"]
    try:
        activity_detail = Tracker.objects.raw("Select * from health_tracker where month=%s" % month_requested)
        return Response([TrackerSerializers(activity).data for activity in activity_detail])
    except ValueError:
        cursor = connection.cursor()
        cursor.execute("Select * from health_tracker where month=%s" % month_requested)
        return JsonResponse(cursor.fetchall(), safe=False)

from rest_framework import serializers

from accounts.models import Organisation


class InsurerOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["uzovi", "name"]

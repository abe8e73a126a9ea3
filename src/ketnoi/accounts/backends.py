from django.contrib.auth.backends import ModelBackend


class PhoneBackend(ModelBackend):
    pass

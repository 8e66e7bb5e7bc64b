from .context import reset_source_ip, set_source_ip


def client_ip(request):
    # REMOTE_ADDR only: X-Forwarded-For is set by the client and cannot be trusted unless a known
    # proxy is configured in front.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_source_ip(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            reset_source_ip(token)

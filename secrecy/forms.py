"""How a service's refusal (secrecy.errors.DomainError) reaches the user — one rule for every app's
views, so the same refusal reads the same everywhere."""
from .errors import ValidationFailed


def _problems(error):
    for problems in error.field_errors.values():
        for problem in [problems] if isinstance(problems, str) else problems:
            yield str(problem)


def domain_error_text(error):
    """One line for a message banner: the field problems of invalid input, else the refusal."""
    parts = [] if isinstance(error, ValidationFailed) else [error.message]
    parts.extend(_problems(error))
    return "；".join(dict.fromkeys(p for p in parts if p)) or error.message


def put_domain_error(form, error):
    """The refusal above the form (for bad input: "输入有误，请检查标红的字段") and each field
    problem next to its field (above the form too when the form has no such field)."""
    form.add_error(None, error.message)
    for field, problems in error.field_errors.items():
        for problem in [problems] if isinstance(problems, str) else problems:
            form.add_error(field if field in form.fields else None, str(problem))


def submit_form(request, form, call, *, success, done_url, rerender):
    """The shape of every form POST on an object's page: a valid form calls its one service with
    the cleaned data; accepted → the success message and back to `done_url`; refused or invalid →
    `rerender(form)` shows the page again with the errors in place, nothing changed. An object
    the service finds invisible is a 404."""
    from django.contrib import messages
    from django.http import Http404
    from django.shortcuts import redirect

    from .errors import DomainError, NotVisible

    if form.is_valid():
        try:
            call(form.cleaned_data)
        except NotVisible:
            raise Http404() from None
        except DomainError as error:
            put_domain_error(form, error)
        else:
            messages.success(request, success)
            return redirect(done_url)
    return rerender(form)

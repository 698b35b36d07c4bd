"""The Museion web application: Django project, API and background worker."""

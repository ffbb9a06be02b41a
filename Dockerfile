FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e .
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "sesmu.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]

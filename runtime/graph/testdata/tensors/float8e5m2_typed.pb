*{¼B
float8e5m2
def app(scope):
    return None

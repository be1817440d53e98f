# Models arrive with this app's issue; the app is installed now so migrations start in order.

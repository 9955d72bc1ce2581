// OAuth 2.0 Form Post Response Mode: submit the response to the application.
// Served as a file so the Content-Security-Policy needs no 'unsafe-inline'.
document.getElementById("form-post").submit();

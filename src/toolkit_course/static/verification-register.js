// Certificates issued with this course, for the page "Check a certificate": ids, file checksums, dates, revocations
// and the facilitators' public keys; no names. Written by `toolkit-course publish-register`; do not edit by hand.
window.TOOLKIT_CERTIFICATE_REGISTER = {"certificates": [], "format": "toolkit-course-register/1", "keys": []};

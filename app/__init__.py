"""Coach API: the backend career coaches use to run a caseload of job seekers."""

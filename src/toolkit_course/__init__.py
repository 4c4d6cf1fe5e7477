"""Course package for the UNODC Toolkit on human rights and gender equality in responses to
trafficking in persons and smuggling of migrants.

Lessons use `toolkit_course.show`; graded notebooks use `toolkit_course.answer_checks`.
"""

__version__ = "0.1.0"

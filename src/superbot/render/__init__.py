"""Words and documents: templates rendered for each channel, and the 通报's files."""

# What ``superbot bulletin --format`` writes; pdf is the docx, converted (render/pdf.py). Here,
# not in render.messages, so that the command line names them without loading the renderers.
DOCUMENT_FORMATS = ("docx", "xlsx", "html", "md", "pdf")

"""Still images: one file's reading and outputs (image, scan and watch share it), scanners, watched
folders and batches.
"""

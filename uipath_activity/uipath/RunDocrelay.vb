' Runs docrelay with an arguments file and an --output file, waits for it to exit, and returns its
' exit code and whatever it printed. The source of the Invoke Code activity in
' DocRelay\Framework\RunDocrelay.xaml (a test keeps the two identical).
' In: exePath, argsPath, outputPath (String, full paths), timeoutSeconds (Int32),
'     childEnvironment (Dictionary(Of String, String), may be Nothing), secretVariable (String),
'     secret (SecureString, may be Nothing).
' Out: exitCode (Int32; -1 when docrelay was stopped after timeoutSeconds), stdOut, stdErr (String).
' childEnvironment and the secret go into docrelay's environment only: not the robot's, not a
' command line, not a file.
Dim startInfo As New System.Diagnostics.ProcessStartInfo(exePath)
startInfo.ArgumentList.Add("--args-file")
startInfo.ArgumentList.Add(argsPath)
startInfo.ArgumentList.Add("--output")
startInfo.ArgumentList.Add(outputPath)
startInfo.UseShellExecute = False
startInfo.CreateNoWindow = True
startInfo.RedirectStandardOutput = True
startInfo.RedirectStandardError = True
startInfo.StandardOutputEncoding = New System.Text.UTF8Encoding(False)
startInfo.StandardErrorEncoding = New System.Text.UTF8Encoding(False)
startInfo.WorkingDirectory = System.IO.Path.GetDirectoryName(exePath)
If childEnvironment IsNot Nothing Then
    For Each variable As System.Collections.Generic.KeyValuePair(Of String, String) In childEnvironment
        startInfo.Environment(variable.Key) = variable.Value
    Next
End If
If secret IsNot Nothing AndAlso Not String.IsNullOrWhiteSpace(secretVariable) Then
    startInfo.Environment(secretVariable) = New System.Net.NetworkCredential(String.Empty, secret).Password
End If
Using child As System.Diagnostics.Process = System.Diagnostics.Process.Start(startInfo)
    ' Both pipes are read while waiting: a full pipe would block docrelay.
    Dim stdOutTask As System.Threading.Tasks.Task(Of String) = child.StandardOutput.ReadToEndAsync()
    Dim stdErrTask As System.Threading.Tasks.Task(Of String) = child.StandardError.ReadToEndAsync()
    If child.WaitForExit(timeoutSeconds * 1000) Then
        child.WaitForExit()
        exitCode = child.ExitCode
    Else
        ' The whole tree: a process docrelay started would otherwise keep the pipes open.
        child.Kill(True)
        child.WaitForExit()
        exitCode = -1
    End If
    stdOut = stdOutTask.Result
    stdErr = stdErrTask.Result
End Using
